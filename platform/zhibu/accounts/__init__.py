"""Accounts: password hashing, login and the current user."""
