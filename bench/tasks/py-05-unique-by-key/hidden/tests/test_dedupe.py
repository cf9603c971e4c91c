import unittest

from dedupe import unique, unique_emails


class UniqueTest(unittest.TestCase):
    def test_keeps_first_occurrences_in_order(self):
        self.assertEqual(unique([3, 1, 3, 2, 1]), [3, 1, 2])

    def test_with_a_key(self):
        self.assertEqual(unique(["apple", "Avocado", "banana"], key=lambda s: s[0].lower()), ["apple", "banana"])

    def test_emails(self):
        contacts = [{"email": "Ann@x.org"}, {"email": " ann@x.org"}, {"email": "bo@x.org"}]
        self.assertEqual(unique_emails(contacts), [contacts[0], contacts[2]])


if __name__ == "__main__":
    unittest.main()
