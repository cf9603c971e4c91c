import unittest

from slug import slugify


class SlugTest(unittest.TestCase):
    def test_words(self):
        self.assertEqual(slugify("Release notes for May"), "release-notes-for-may")

    def test_accents(self):
        self.assertEqual(slugify("Café crème"), "cafe-creme")

    def test_punctuation_at_the_ends(self):
        self.assertEqual(slugify("Hello, World!"), "hello-world")


if __name__ == "__main__":
    unittest.main()
