"""Every route declares who may use it (STYLE convention 5)."""


def test_every_route_declares_its_permission(app):
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "_permission"):
            undeclared.append(rule.rule)
    assert undeclared == []


def test_only_a_few_routes_are_public(app):
    public = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and getattr(app.view_functions[rule.endpoint], "_permission", None) == "public"
    )
    assert public == [
        "/",
        "/api/v1/agreements/<int:agreement_id>/terms.jsonld",
        "/api/v1/auth/token",
        "/api/v1/openapi.json",
        "/assets/<path:filename>",
        "/calendar/<token>.ics",
        "/healthz",
        "/pki/ca.crl",
        "/pki/ca.crt",
        "/register",
        "/register.csv",
        "/register.json",
        "/sign-in",
        "/sign-in/two-factor",
        "/sign-in/two-factor/set-up",
        "/verify",
    ]
