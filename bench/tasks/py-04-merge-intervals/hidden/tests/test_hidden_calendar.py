import unittest

from calendar_free import merge_busy


class HiddenMergeBusyTest(unittest.TestCase):
    def test_empty(self):
        self.assertEqual(merge_busy([]), [])

    def test_touching_intervals_merge(self):
        self.assertEqual(merge_busy([(10, 20), (20, 30)]), [(10, 30)])

    def test_contained_interval(self):
        self.assertEqual(merge_busy([(0, 100), (10, 20), (90, 95)]), [(0, 100)])

    def test_chain_of_overlaps(self):
        self.assertEqual(merge_busy([(5, 8), (1, 3), (2, 6), (20, 25), (7, 9)]), [(1, 9), (20, 25)])

    def test_empty_and_backwards_intervals_are_dropped(self):
        self.assertEqual(merge_busy([(50, 50), (70, 60), (1, 2)]), [(1, 2)])

    def test_input_untouched_and_lists_accepted(self):
        intervals = [[30, 40], [0, 35]]
        self.assertEqual(merge_busy(intervals), [(0, 40)])
        self.assertEqual(intervals, [[30, 40], [0, 35]])


if __name__ == "__main__":
    unittest.main()
