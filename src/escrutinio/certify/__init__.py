"""Certification: the contest rules applied to the final count, and the certificate that binds
the proclamation to the exact record (log head) it was computed from."""
