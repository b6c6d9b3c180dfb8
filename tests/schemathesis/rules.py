"""Holds the server to its API description (loaded by run.sh as SCHEMATHESIS_HOOKS).

A request the schema admits must be accepted, or meet a state the schema cannot know (a
missing id, a conflict, a quota: 401, 403, 404, 409, 429). The one exception is a rule the
operation lists under x-rules-beyond-schema: a 400 is then right when its message starts
with that rule's field. This replaces schemathesis' positive_data_acceptance, which knows no
such list.
"""

import re

import schemathesis
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

STATES = {401, 403, 404, 409, 429}
FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:[:.\[])")


def cited_field(response):
    """The field a refusal names: `field: …`, `field.x: …` or `field[0]: …`."""
    try:
        body = response.json()
    except ValueError:
        return None
    message = body.get("message", body.get("info")) if isinstance(body, dict) else None
    match = FIELD.match(message) if isinstance(message, str) else None
    return (match.group(1) if match else None), message


@schemathesis.check
def valid_data_is_accepted(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or is_unexpected_http_status_case(case):
        return None
    status = response.status_code
    if status < 400 or status >= 500 or status in STATES:
        return None
    field, message = cited_field(response) or (None, None)
    listed = case.operation.definition.raw.get("x-rules-beyond-schema", [])
    if status == 400 and field in {rule["field"] for rule in listed}:
        return None
    raise AssertionError(
        f"A request the schema admits was refused with {status}: {message!r}. "
        "Either the schema is looser than the server, or the rule belongs in x-rules-beyond-schema."
    )
