import unittest

from tally.money import apply_discount, format_cents, to_cents, total


class MoneyTest(unittest.TestCase):
    def test_to_cents(self):
        self.assertEqual([to_cents(s) for s in ("12.50", "3", "0.07", "-1.5")], [1250, 300, 7, -150])

    def test_discount(self):
        self.assertEqual(apply_discount(1000, 25), 750)
        self.assertEqual(apply_discount(999, 10), 899)

    def test_discount_out_of_range_is_refused(self):
        with self.assertRaises(ValueError):
            apply_discount(100, 150)

    def test_format_cents(self):
        self.assertEqual(format_cents(1250), "12.50 EUR")
        self.assertEqual(format_cents(-5, "USD"), "-0.05 USD")

    def test_total_without_tax(self):
        self.assertEqual(total([100, 250]), 350)

    def test_total_with_tax(self):
        self.assertEqual(total([1000], tax_rate=20), 1200)


if __name__ == "__main__":
    unittest.main()
