"""The users table."""
import sqlite3


def connect(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS users (name TEXT, email TEXT)")
    return db


def add_user(db, name, email):
    db.execute("INSERT INTO users VALUES (?, ?)", (name, email))
