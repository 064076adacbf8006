"""Domain operations: transactions, audit and calls into crypto/ and graph/. No HTTP here."""
