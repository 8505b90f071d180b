"""Outbound calls to customer-chosen URLs (verification/outbound.py).

OUTBOUND_ALLOWED_NETWORKS lists CIDR ranges that may be reached even though they are not public
(and over plain http): empty in production; tests and on-premises receivers set it explicitly.
"""

import ipaddress

from django.core.exceptions import ImproperlyConfigured

from config.env import env_list

OUTBOUND_ALLOWED_NETWORKS = env_list("OUTBOUND_ALLOWED_NETWORKS", [])

for _cidr in OUTBOUND_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_cidr, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"OUTBOUND_ALLOWED_NETWORKS: {_cidr!r} is not a CIDR range.") from _exc
