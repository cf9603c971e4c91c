import unittest

from ledger import balance, spending_by_month

LEDGER = """
2024-03-01;salary;2,000.00
2024-03-02;groceries;-54.20
2024-03-15;cinema;-12.00
2024-04-01;rent;-950.00
"""


class LedgerTest(unittest.TestCase):
    def test_balance(self):
        self.assertEqual(balance(LEDGER), "983.80")

    def test_spending_by_month(self):
        self.assertEqual(spending_by_month(LEDGER), {"2024-03": "-66.20", "2024-04": "-950.00"})

    def test_amounts_written_with_one_decimal(self):
        self.assertEqual(balance("2024-05-01;refund;2.5\n2024-05-02;coffee;-1.25\n"), "1.25")


if __name__ == "__main__":
    unittest.main()
