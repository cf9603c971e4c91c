import unittest

from tally.timefmt import format_duration


class DurationTest(unittest.TestCase):
    def test_under_an_hour(self):
        self.assertEqual(format_duration(65), "01:05")

    def test_over_an_hour(self):
        self.assertEqual(format_duration(3 * 3600 + 7), "3:00:07")

    def test_zero(self):
        self.assertEqual(format_duration(0), "00:00")


if __name__ == "__main__":
    unittest.main()
