"""What an organisation owns: its encryption and signing keys, and its sharing groups."""
