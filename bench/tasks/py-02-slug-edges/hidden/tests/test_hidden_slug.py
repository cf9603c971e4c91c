import unittest

from slug import slugify


class HiddenSlugTest(unittest.TestCase):
    def test_leading_punctuation(self):
        self.assertEqual(slugify("  -- (Draft) plans"), "draft-plans")

    def test_only_punctuation(self):
        self.assertEqual(slugify("?!"), "")

    def test_cut_never_ends_in_a_hyphen(self):
        self.assertEqual(slugify("abc def", max_length=4), "abc")
        self.assertEqual(slugify("abc def", max_length=5), "abc-d")

    def test_default_length(self):
        slug = slugify("word " * 40)
        self.assertLessEqual(len(slug), 60)
        self.assertFalse(slug.endswith("-"))
        self.assertTrue(slug.startswith("word-word"))

    def test_digits_kept(self):
        self.assertEqual(slugify("Top 10 tips (2024)"), "top-10-tips-2024")


if __name__ == "__main__":
    unittest.main()
