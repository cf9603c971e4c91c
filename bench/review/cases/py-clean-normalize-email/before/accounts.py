"""Signup and login."""

ACCOUNTS = {}


def signup(email, password):
    key = email.strip().lower()
    if key in ACCOUNTS:
        raise ValueError("account exists")
    ACCOUNTS[key] = password


def login(email, password):
    key = email.strip().lower()
    return ACCOUNTS.get(key) == password
