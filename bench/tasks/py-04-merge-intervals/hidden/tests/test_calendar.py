import unittest

from calendar_free import merge_busy, total_busy


class MergeBusyTest(unittest.TestCase):
    def test_overlapping(self):
        self.assertEqual(merge_busy([(60, 120), (90, 150)]), [(60, 150)])

    def test_separate_and_unsorted(self):
        self.assertEqual(merge_busy([(300, 330), (60, 90)]), [(60, 90), (300, 330)])

    def test_total(self):
        self.assertEqual(total_busy([(0, 30), (15, 45), (100, 110)]), 55)


if __name__ == "__main__":
    unittest.main()
