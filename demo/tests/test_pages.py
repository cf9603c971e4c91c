import unittest

from tally.pages import page_count, paginate


class PagesTest(unittest.TestCase):
    def test_first_page_holds_per_page_items(self):
        self.assertEqual(paginate(list(range(25)), 1, per_page=10), list(range(10)))

    def test_last_page_holds_the_rest(self):
        self.assertEqual(paginate(list(range(25)), 3, per_page=10), [20, 21, 22, 23, 24])

    def test_past_the_end_is_empty(self):
        self.assertEqual(paginate(list(range(5)), 2, per_page=5), [])

    def test_page_zero_is_refused(self):
        with self.assertRaises(ValueError):
            paginate([1, 2], 0)

    def test_page_count(self):
        self.assertEqual([page_count(n, 10) for n in (0, 1, 10, 11)], [0, 1, 1, 2])


if __name__ == "__main__":
    unittest.main()
