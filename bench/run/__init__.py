"""One run: the loop and its protocol rules, trials in flight, the ledger, the incumbent."""
