import unittest

from dedupe import unique


class HiddenUniqueTest(unittest.TestCase):
    def test_empty(self):
        self.assertEqual(unique([]), [])

    def test_unhashable_items(self):
        self.assertEqual(unique([[1], [2], [1], {"a": 1}, {"a": 1}]), [[1], [2], {"a": 1}])

    def test_unhashable_keys(self):
        rows = [{"tags": ["x"]}, {"tags": ["y"]}, {"tags": ["x"]}]
        self.assertEqual(unique(rows, key=lambda r: r["tags"]), [rows[0], rows[1]])

    def test_generators_and_strings(self):
        self.assertEqual(unique(c for c in "mississippi"), ["m", "i", "s", "p"])

    def test_falsy_values_are_items_too(self):
        self.assertEqual(unique([0, None, "", 0, False, None]), [0, None, ""])

    def test_returns_the_items_not_the_keys(self):
        self.assertEqual(unique([1, -1, 2], key=abs), [1, 2])


if __name__ == "__main__":
    unittest.main()
