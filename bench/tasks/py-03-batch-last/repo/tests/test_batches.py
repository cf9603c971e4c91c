import unittest

from batches import batch_count, batches


class BatchesTest(unittest.TestCase):
    def test_exact_split(self):
        self.assertEqual(batches([1, 2, 3, 4], 2), [[1, 2], [3, 4]])

    def test_short_last_batch(self):
        self.assertEqual(batches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]])

    def test_count(self):
        self.assertEqual(batch_count(list(range(10)), 5), 2)


if __name__ == "__main__":
    unittest.main()
