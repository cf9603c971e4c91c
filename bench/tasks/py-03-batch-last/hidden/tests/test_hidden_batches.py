import unittest

from batches import batch_count, batches


class HiddenBatchesTest(unittest.TestCase):
    def test_fewer_records_than_a_batch(self):
        self.assertEqual(batches(["a", "b"], 5), [["a", "b"]])

    def test_no_records(self):
        self.assertEqual(batches([], 3), [])

    def test_size_one(self):
        self.assertEqual(batches("abc", 1), [["a"], ["b"], ["c"]])

    def test_count_with_a_remainder(self):
        self.assertEqual(batch_count(list(range(11)), 5), 3)

    def test_tuples_and_bad_sizes(self):
        self.assertEqual(batches((1, 2, 3), 2), [[1, 2], [3]])
        with self.assertRaises(ValueError):
            batches([1], 0)


if __name__ == "__main__":
    unittest.main()
