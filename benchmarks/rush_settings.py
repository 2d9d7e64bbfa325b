"""The production settings, with one change for the rush benchmark's synthetic logins.

Production hashes passwords with Argon2, which costs most of a second of CPU per login on a
2-core machine: a thousand logins would take minutes and crowd out what the benchmark measures
(booking). The benchmark's accounts are stored with a fast hasher instead; the Argon2 cost of a
real login is measured on its own and reported (see benchmarks/README.md).
"""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
