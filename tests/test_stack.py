"""Guards for the pins in pyproject.toml (see STACK_NOTES: prefect 3.8.8 vs fastapi)."""


def test_prefect_server_api_imports_with_the_pinned_fastapi() -> None:
    import prefect.server.api  # noqa: F401  (fails at import with fastapi >= 0.155)


def test_the_pinned_fastapi_still_reads_a_null_limit_as_not_sent() -> None:
    """prefect 3.8.8's client sends "limit": null; fastapi >= 0.151 answers 422 to it."""
    import asyncio

    import httpx
    from fastapi import Body, FastAPI

    app = FastAPI()

    @app.post("/filter")
    def read(limit: int = Body(None), offset: int = Body(0)) -> dict:
        return {"limit": limit, "offset": offset}

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.post("/filter", json={"limit": None, "offset": None})

    answer = asyncio.run(post())
    assert (answer.status_code, answer.json()) == (200, {"limit": None, "offset": 0})


def test_mjml_is_the_mrml_binding_not_the_unrelated_package() -> None:
    from mjml import mjml2html

    html = mjml2html("<mjml><mj-body><mj-text>連携</mj-text></mj-body></mjml>")
    assert "連携" in html
