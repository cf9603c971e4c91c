import unittest

from ledger import balance
from money import format_amount, parse_amount


class HiddenMoneyTest(unittest.TestCase):
    def test_parse(self):
        cases = {"12.30": 1230, "12.3": 1230, "-4.5": -450, "7": 700, "0.05": 5, "-0.5": -50,
                 "1,250.00": 125000, " 3.1 ": 310, "10.": 1000}
        for text, cents in cases.items():
            self.assertEqual(parse_amount(text), cents, text)

    def test_refused(self):
        for text in ["", "abc", "1.234", "1.2.3", "--1", "1e3", ".5x"]:
            with self.assertRaises(ValueError, msg=text):
                parse_amount(text)

    def test_format(self):
        self.assertEqual(format_amount(-405), "-4.05")
        self.assertEqual(format_amount(0), "0.00")

    def test_balance_with_mixed_decimals(self):
        self.assertEqual(balance("2024-01-01;a;0.1\n2024-01-02;b;0.2\n2024-01-03;c;-0.30\n"), "0.00")


if __name__ == "__main__":
    unittest.main()
