"""Failed logins, counted three ways, so that guessing is slow and nobody can shut a
victim out from their own address:

- **per address** (any accounts): past ``ZHIBU_LOGIN_ADDRESS_MAX_FAILURES`` failures in
  ``ZHIBU_LOGIN_ADDRESS_MINUTES`` the address must wait (HTTP 429) — trying one password
  on many user names is as slow as many passwords on one;
- **per account and address**: past ``ZHIBU_LOGIN_MAX_FAILURES`` failures in
  ``ZHIBU_LOGIN_LOCKOUT_MINUTES`` the account is locked *for that address* only;
- **per account** (all addresses): ``ZHIBU_LOGIN_ACCOUNT_MAX_FAILURES`` failures in that
  time lock the account everywhere (the caller stores ``users.locked_until``): guessing
  spread over many addresses stops too, and needs that many addresses to trigger.

The counters are moving windows of the ``limits`` library: in Redis when
``ZHIBU_REDIS_URL`` is set (shared by every web process and worker), else in the process
(a multi-process server without Redis counts per process). User names are counted
whether or not the account exists, so the counters say nothing about which do.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

EXTENSION_KEY = "zhibu.login_throttle"


@dataclass(frozen=True)
class LoginThrottle:
    limiter: MovingWindowRateLimiter
    address_limit: RateLimitItemPerMinute
    pair_limit: RateLimitItemPerMinute
    account_limit: RateLimitItemPerMinute

    def address_wait(self, address: str) -> int:
        """Seconds the address must wait before it may try again (0: it may now)."""
        key = address_key(address)
        if self.limiter.test(self.address_limit, "address", key):
            return 0
        reset = self.limiter.get_window_stats(self.address_limit, "address", key).reset_time
        return max(1, int(reset - time.time()) + 1)

    def locked_for(self, username: str, address: str) -> bool:
        """The account is locked for this address (too many failures from it)."""
        return not self.limiter.test(self.pair_limit, "pair", _name(username), address_key(address))

    def failed(self, username: str, address: str) -> bool:
        """Count a failure; True when it reaches the account-wide limit (the caller locks
        the account and the account's counter starts again)."""
        name, key = _name(username), address_key(address)
        self.limiter.hit(self.address_limit, "address", key)
        self.limiter.hit(self.pair_limit, "pair", name, key)
        self.limiter.hit(self.account_limit, "account", name)
        if self.limiter.test(self.account_limit, "account", name):
            return False
        self.limiter.clear(self.account_limit, "account", name)
        return True

    def succeeded(self, username: str, address: str) -> None:
        """A good login from this address forgets its failures for the account there (never
        the address's own count: a login to one's own account must not reset it)."""
        self.limiter.clear(self.pair_limit, "pair", _name(username), address_key(address))


def _name(username: str) -> str:
    """Counters keyed by a digest: any length of user name, never stored as typed."""
    return hashlib.sha256(username.encode()).hexdigest()[:32]


def address_key(address: str | None) -> str:
    """The address counted: an IPv4 address, or the /64 network of an IPv6 one (one
    machine gets a whole /64)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address) + "/64"
    return str(ip)


def build_throttle(app: Flask) -> LoginThrottle:
    config = app.config
    url = config.get("ZHIBU_REDIS_URL")
    storage = RedisStorage(url, key_prefix="zhibu-login") if url else MemoryStorage()
    lockout = config["ZHIBU_LOGIN_LOCKOUT_MINUTES"]
    return LoginThrottle(
        limiter=MovingWindowRateLimiter(storage),
        address_limit=RateLimitItemPerMinute(
            config["ZHIBU_LOGIN_ADDRESS_MAX_FAILURES"], config["ZHIBU_LOGIN_ADDRESS_MINUTES"]
        ),
        pair_limit=RateLimitItemPerMinute(config["ZHIBU_LOGIN_MAX_FAILURES"], lockout),
        account_limit=RateLimitItemPerMinute(config["ZHIBU_LOGIN_ACCOUNT_MAX_FAILURES"], lockout),
    )


def login_throttle() -> LoginThrottle:
    """The app's throttle, made on first use from its settings (a changed setting or Redis
    URL makes a new one)."""
    app = current_app._get_current_object()
    settings = tuple(
        app.config.get(key)
        for key in (
            "ZHIBU_REDIS_URL",
            "ZHIBU_LOGIN_ADDRESS_MAX_FAILURES",
            "ZHIBU_LOGIN_ADDRESS_MINUTES",
            "ZHIBU_LOGIN_MAX_FAILURES",
            "ZHIBU_LOGIN_LOCKOUT_MINUTES",
            "ZHIBU_LOGIN_ACCOUNT_MAX_FAILURES",
        )
    )
    made = app.extensions.get(EXTENSION_KEY)
    if made is None or made[0] != settings:
        made = (settings, build_throttle(app))
        app.extensions[EXTENSION_KEY] = made
    return made[1]
