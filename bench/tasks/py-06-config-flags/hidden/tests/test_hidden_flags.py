import unittest

from settings import get_flag, parse_settings


class HiddenFlagTest(unittest.TestCase):
    def check(self, value, expected):
        settings = parse_settings(f"flag = {value}\n")
        self.assertIs(get_flag(settings, "flag"), expected, value)

    def test_any_letter_case(self):
        for value in ["True", "TRUE", "Yes", "ON", "true"]:
            self.check(value, True)
        for value in ["False", "FALSE", "No", "Off", "false"]:
            self.check(value, False)

    def test_digits(self):
        self.check("1", True)
        self.check("0", False)

    def test_other_values_are_refused(self):
        for value in ["", "maybe", "2", "y e s"]:
            with self.assertRaises(ValueError, msg=value):
                get_flag({"flag": value}, "flag")

    def test_default_only_when_absent(self):
        self.assertFalse(get_flag({}, "flag"))
        self.assertFalse(get_flag({"flag": "no"}, "flag", default=True))


if __name__ == "__main__":
    unittest.main()
