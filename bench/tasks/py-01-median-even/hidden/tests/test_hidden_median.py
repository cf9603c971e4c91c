import unittest

from stats import median


class HiddenMedianTest(unittest.TestCase):
    def test_two_values(self):
        self.assertEqual(median([10, 20]), 15)

    def test_unsorted_even_count_with_duplicates(self):
        self.assertEqual(median([7, 1, 7, 3, 9, 2]), 5)

    def test_single_value(self):
        self.assertEqual(median([42]), 42)

    def test_floats(self):
        self.assertAlmostEqual(median([0.5, 0.25]), 0.375)

    def test_input_is_not_modified(self):
        values = [3, 1, 2, 4]
        median(values)
        self.assertEqual(values, [3, 1, 2, 4])

    def test_no_values(self):
        with self.assertRaises(ValueError):
            median([])


if __name__ == "__main__":
    unittest.main()
