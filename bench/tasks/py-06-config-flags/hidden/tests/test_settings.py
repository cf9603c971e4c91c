import unittest

from settings import get_flag, parse_settings


class SettingsTest(unittest.TestCase):
    def test_parse(self):
        text = "# service\nname = api\n\nport=8080\nname = web\n"
        self.assertEqual(parse_settings(text), {"name": "web", "port": "8080"})

    def test_flags(self):
        settings = parse_settings("debug = yes\ncache = off\n")
        self.assertTrue(get_flag(settings, "debug"))
        self.assertFalse(get_flag(settings, "cache"))
        self.assertTrue(get_flag(settings, "missing", default=True))

    def test_bad_line(self):
        with self.assertRaises(ValueError):
            parse_settings("debug\n")


if __name__ == "__main__":
    unittest.main()
