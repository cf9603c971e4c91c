import unittest

from tally.text import slugify, truncate


class SlugifyTest(unittest.TestCase):
    def test_words_and_punctuation(self):
        self.assertEqual(slugify("Hello, World!"), "hello-world")

    def test_runs_collapse_and_ends_are_trimmed(self):
        self.assertEqual(slugify("  --Q3  report (final)-- "), "q3-report-final")

    def test_empty(self):
        self.assertEqual(slugify("!!!"), "")


class TruncateTest(unittest.TestCase):
    def test_short_text_is_kept(self):
        self.assertEqual(truncate("abc", 5), "abc")

    def test_long_text_is_cut(self):
        self.assertEqual(truncate("abcdefgh", 6), "abc...")


if __name__ == "__main__":
    unittest.main()
