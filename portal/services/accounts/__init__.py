"""People and their sign-in: users and organisations, passwords, the second factor, sessions and
API tokens.
"""
