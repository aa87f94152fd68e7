"""Guards for the pins in pyproject.toml (see STACK_NOTES: prefect 3.8.8 vs fastapi)."""


def test_prefect_server_api_imports_with_the_pinned_fastapi() -> None:
    import prefect.server.api  # noqa: F401  (fails at import with fastapi >= 0.155)


def test_mjml_is_the_mrml_binding_not_the_unrelated_package() -> None:
    from mjml import mjml2html

    html = mjml2html("<mjml><mj-body><mj-text>連携</mj-text></mj-body></mjml>")
    assert "連携" in html
