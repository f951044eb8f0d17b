"""Composition root: builds the gateway from Settings. The only module that wires parts together."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from cross_web import HTTPException  # strawberry's HTTP layer; it turns this into the 400
from fastapi import BackgroundTasks, FastAPI, Request, Response
from fastapi.requests import HTTPConnection
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from graphql import GraphQLError, parse
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType
from strawberry.utils.operation import get_operation_type

from gateway.auth import ANONYMOUS_VIEWER, AuthenticationError, JwksKeys, TokenVerifier
from gateway.body_limit import BodyLimitMiddleware
from gateway.context import Context, Upstreams
from gateway.customer_ids import CustomerIdHasher
from gateway.graphiql import ASSETS_DIR, STATIC_PATH, GatewayGraphQLRouter, GraphiQLPage
from gateway.logs import current_request_id, request_id_scope
from gateway.outbox import OutboxPolicy, OutboxWorker, TicketOutbox
from gateway.pubsub import InProcessPubSub, PubSub
from gateway.redis_pubsub import RedisPubSub
from gateway.settings import Settings
from gateway.store.db import Database
from gateway.store.tickets import StoredTicketIndex
from gateway.upstreams.cardlytics import CardlyticsClient
from gateway.upstreams.cardlytics.token_store import RedisTokenStore
from gateway.upstreams.clickbank import ClickBankTicketsClient
from gateway.upstreams.http import UpstreamHTTP
from gateway.upstreams.http1 import HTTP1Transport
from gateway.upstreams.resilience import CircuitBreaker, RetryPolicy
from gateway.webhook_auth import WebhookAuthenticator
from gateway.webhooks import router as webhooks_router
from schema import schema
from schema.documents import DocumentCache
from schema.limits import QueryLimits

__all__ = ["create_app"]

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_JSON_CONTENT_TYPES = frozenset({"application/json", "application/json; charset=utf-8"})
_NOT_A_REQUEST = "The request body must be a JSON object: a GraphQL request, or a list of them"
_POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=50)


def create_app(
    settings: Settings | None = None,
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    """The gateway app. ``transports`` replaces the network per upstream (tests only)."""
    settings = settings or Settings()
    transports = transports or {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            shared_tokens = _shared_tokens(settings, stack)
            app.state.upstreams = await _open_upstreams(settings, transports, stack, shared_tokens)
            app.state.verifier = await _token_verifier(settings, stack)
            app.state.database = await _open_database(settings, stack)
            app.state.ticket_index = await _start_outbox(
                settings, app.state.database, app.state.upstreams, stack
            )
            app.state.pubsub = _pubsub(settings)
            stack.push_async_callback(app.state.pubsub.aclose)
            yield

    app = FastAPI(title="rewards-gateway", lifespan=lifespan, docs_url=None, redoc_url=None)
    # Read per operation by schema.limits.LimitQueries.
    app.state.query_limits = QueryLimits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_query_aliases,
        max_tokens=settings.max_query_tokens,
        max_cost=settings.max_query_cost,
        default_list_size=settings.query_cost_default_list_size,
    )
    app.state.documents = DocumentCache(settings.document_cache_size)
    # Added first so it runs inside RequestIdMiddleware: a 413 carries the request id too.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)

    async def get_context(request: HTTPConnection) -> Context:
        verifier: TokenVerifier = request.app.state.verifier
        if request.scope["type"] == "websocket":
            viewer = ANONYMOUS_VIEWER  # until connection_init authenticates it (LiveRouter)
        else:
            viewer = await verifier.viewer(request.headers.get("authorization"))
        return Context(
            upstreams=request.app.state.upstreams,
            viewer=viewer,
            ticket_index=request.app.state.ticket_index,
            database=request.app.state.database,
            pubsub=request.app.state.pubsub,
        )

    graphiql = GraphiQLPage.for_settings(settings) if settings.graphiql_enabled else None
    router = LiveRouter(schema, context_getter=get_context, graphiql=graphiql)
    app.add_route("/graphql", router.handle_post, methods=["POST"])
    app.include_router(router, prefix="/graphql")
    # Built now, not in the lifespan: the key was checked by Settings, and the receiver needs it
    # for its very first delivery.
    app.state.webhook_auth = WebhookAuthenticator.from_pem(
        settings.webhook_public_key_pem, settings.webhook_allowed_networks
    )
    app.include_router(webhooks_router)
    if graphiql is not None:
        app.mount(STATIC_PATH, StaticFiles(directory=ASSETS_DIR), name="graphiql-assets")

    @app.exception_handler(AuthenticationError)
    async def refuse_token(_: Request, error: AuthenticationError) -> JSONResponse:
        # A GraphQL-shaped answer, so clients handle it like any other top-level error.
        error_body = {"message": str(error), "extensions": {"code": "UNAUTHENTICATED"}}
        if request_id := current_request_id():
            error_body["extensions"]["requestId"] = request_id  # type: ignore[index]
        return JSONResponse(
            {"data": None, "errors": [error_body]},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> dict[str, Any]:
        upstreams: Upstreams = request.app.state.upstreams
        # An upstream outage is reported, not a reason to leave the load balancer: the gateway
        # still answers what does not depend on it.
        return {
            "status": "ready",
            "upstreams": {http.name: http.breaker.state.value for http in upstreams.connections},
        }

    return app


async def _open_upstreams(
    settings: Settings,
    transports: Mapping[str, httpx.AsyncBaseTransport],
    stack: AsyncExitStack,
    shared_tokens: RedisTokenStore | None = None,
) -> Upstreams:
    retry = RetryPolicy(
        attempts=settings.retry_attempts,
        base_delay_s=settings.retry_base_delay_s,
        max_delay_s=settings.retry_max_delay_s,
    )

    def http(name: str, base_url: str, connect_s: float, read_s: float) -> UpstreamHTTP:
        client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(read_s, connect=connect_s),
            transport=transports.get(name) or HTTP1Transport(_POOL_LIMITS),
        )
        stack.push_async_callback(client.aclose)
        return UpstreamHTTP(
            name,
            client,
            retry=retry,
            breaker=CircuitBreaker(
                settings.breaker_failure_threshold, settings.breaker_reset_timeout_s
            ),
            request_id_header="X-CDLX-Request-Id" if name == "cardlytics" else None,
        )

    cardlytics = http(
        "cardlytics",
        str(settings.cardlytics_base_url),
        settings.cardlytics_connect_timeout_s,
        settings.cardlytics_read_timeout_s,
    )
    clickbank = http(
        "clickbank",
        str(settings.clickbank_base_url),
        settings.clickbank_connect_timeout_s,
        settings.clickbank_read_timeout_s,
    )
    return Upstreams(
        cardlytics=CardlyticsClient.from_settings(
            cardlytics, settings, shared_tokens=shared_tokens
        ),
        clickbank=ClickBankTicketsClient(
            clickbank,
            api_key=settings.clickbank_api_key,
            developer_key=settings.clickbank_developer_key,
            max_pages=settings.clickbank_max_pages,
        ),
        connections=(cardlytics, clickbank),
        customer_ids=CustomerIdHasher(settings.customer_id_hmac_key.get_secret_value().encode()),
    )


def _pubsub(settings: Settings) -> PubSub:
    if settings.redis_url is None:
        return InProcessPubSub()
    return RedisPubSub.from_url(settings.redis_url, prefix=settings.redis_prefix)


def _shared_tokens(settings: Settings, stack: AsyncExitStack) -> RedisTokenStore | None:
    if settings.redis_url is None:
        return None
    store = RedisTokenStore.from_url(settings.redis_url, prefix=settings.redis_prefix)
    stack.push_async_callback(store.aclose)
    return store


class LiveRouter(GatewayGraphQLRouter):
    """GraphQL over HTTP, and subscriptions over graphql-transport-ws authenticated in
    ``connection_init`` with the same bearer JWT (browsers cannot set headers on a WebSocket)."""

    def __init__(
        self,
        *args: Any,
        context_getter: Callable[[HTTPConnection], Awaitable[Context]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, context_getter=context_getter, **kwargs)
        # One protocol: the legacy graphql-ws one is unmaintained, and one is less to secure.
        self.protocols = (GRAPHQL_TRANSPORT_WS_PROTOCOL,)
        self._context_of = context_getter
        # POST, every query and mutation, goes to ``handle_post`` as a plain Starlette route
        # (``create_app``): Strawberry's own is a FastAPI route, whose dependency injection (of
        # the context and root value, and the request, response and background tasks merged into
        # the context) cost more per request than the rest of a small query's HTTP handling.
        self.routes[:] = [route for route in self.routes if not _is_post(route)]
        # Strawberry's view works out per request what cannot change here: no streaming transport
        # (none of the protocols has one) and no incremental delivery.
        self._plain_answers = not self.schema.config.enable_experimental_incremental_execution and (
            not any(p in self.stream_transport_classes_by_protocol for p in self.protocols)
        )

    async def handle_post(self, request: Request) -> Response:
        """Strawberry's ``handle_http_post``, with the context built here instead of by FastAPI
        (an ``AuthenticationError`` from it reaches the app's handler, as before)."""
        # as FastAPI makes the response a route may change: no length, no status of its own
        response = Response()
        del response.headers["content-length"]
        response.status_code = None  # type: ignore[assignment]
        tasks = BackgroundTasks()
        context = await self._context_of(request)
        context.request, context.response, context.background_tasks = request, response, tasks
        self.temporal_response = response
        try:
            answer = await self._answer(request, context, response)
        except HTTPException as error:
            return PlainTextResponse(error.reason, status_code=error.status_code)
        if answer.background is None:
            answer.background = tasks
        return answer

    async def _answer(self, request: Request, context: Context, sub_response: Response) -> Response:
        """``self.run`` for the common request, a JSON object with a string query; every other
        one goes to ``self.run`` itself."""
        data = await self._plain_request_data(request) if self._plain_answers else None
        if data is None:
            answer: Response = await self.run(request=request, context=context, root_value=None)
            return answer
        adapter = self.request_adapter_class(request)
        result = await self.execute_single(request, adapter, sub_response, context, None, data)
        response_data = await self.process_result(request=request, result=result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        return self.create_response(response_data=response_data, sub_response=sub_response)

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        try:
            return await super().parse_http_body(request)
        except AttributeError as error:
            # Strawberry reads a JSON body that is no object (a string, a number, null) with
            # ``.get`` and fails: a 500 for the client's mistake. A 400 that says what is wrong.
            if error.name != "get" or isinstance(error.obj, dict):
                raise
            raise HTTPException(400, _NOT_A_REQUEST) from None

    async def _plain_request_data(self, request: Request) -> GraphQLRequestData | None:
        # Strawberry's parse_http_body on the content types whose parse is known; a JSON error
        # is the same 400 either way.
        if request.headers.get("content-type") not in _JSON_CONTENT_TYPES:
            return None
        data = self.parse_json(await request.body())
        if type(data) is not dict:
            return None
        query, variables = data.get("query"), data.get("variables")
        extensions = data.get("extensions")
        if (
            type(query) is not str
            or (variables is not None and type(variables) is not dict)
            or (extensions is not None and type(extensions) is not dict)
        ):
            return None
        operation_name = data.get("operationName")
        return GraphQLRequestData(query, variables, operation_name, extensions, protocol="http")

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        authorization = params.get("Authorization", params.get("authorization"))
        if not isinstance(authorization, str) or not authorization.strip():
            raise ConnectionRejectionError({"message": "connection_init needs an Authorization"})
        assert context.request is not None
        verifier: TokenVerifier = context.request.app.state.verifier
        try:
            viewer = await verifier.viewer(authorization)
        except AuthenticationError as error:
            raise ConnectionRejectionError({"message": str(error)}) from None
        if not viewer.is_customer:
            # Every subscription is about the customer's own events; an agent has none.
            raise ConnectionRejectionError({"message": "subscriptions are for customers"})
        context.viewer = viewer
        acknowledged: UnsetType = UNSET  # a plain connection_ack, with no payload
        return acknowledged

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # Strawberry would run a subscription sent as a plain request like a query, and fail on
        # its first field with a masked INTERNAL_SERVER_ERROR: say where subscriptions go instead.
        if _is_subscription(request_data, request.app.state):
            raise HTTPException(
                400, "subscriptions run over graphql-transport-ws: open a WebSocket on /graphql"
            )
        try:
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        finally:
            # The loaders refer to the context that holds them: a cycle that kept the request's
            # answers alive until a garbage-collector pass. Dropped now, they are freed at once.
            context.forget_loaded()


def _is_post(route: BaseRoute) -> bool:
    return isinstance(route, APIRoute) and route.path == "" and route.methods == {"POST"}


def _is_subscription(request_data: GraphQLRequestData, state: Any) -> bool:
    query = request_data.query
    if not query or "subscription" not in query:
        return False  # cheap: most documents never mention the word
    max_tokens: int = state.query_limits.max_tokens
    prepared = state.documents.get(query, max_tokens)
    try:
        document = prepared.document if prepared else parse(query, max_tokens=max_tokens)
        operation = get_operation_type(document, request_data.operation_name)
    except (GraphQLError, RuntimeError):
        return False  # not this check's business: execution reports it as usual
    return operation is OperationType.SUBSCRIPTION


async def _open_database(settings: Settings, stack: AsyncExitStack) -> Database:
    database = Database(settings.database_url)
    stack.push_async_callback(database.aclose)
    # Every replica may run this: Alembic's upgrade is a no-op once the schema is current.
    await database.migrate()
    return database


async def _start_outbox(
    settings: Settings, database: Database, upstreams: Upstreams, stack: AsyncExitStack
) -> TicketOutbox:
    policy = OutboxPolicy(
        retry_base_s=settings.outbox_retry_base_s,
        retry_max_s=settings.outbox_retry_max_s,
        poll_interval_s=settings.outbox_poll_interval_s,
    )
    store = StoredTicketIndex(database, lease_s=settings.outbox_lease_s)
    outbox = TicketOutbox(store, upstreams.cardlytics.tickets, policy)
    worker = OutboxWorker(outbox)
    worker.start()
    # Stopped before the database and the upstream clients close (the stack unwinds in reverse).
    stack.push_async_callback(worker.stop)
    return outbox


async def _token_verifier(settings: Settings, stack: AsyncExitStack) -> TokenVerifier:
    if settings.jwt_jwks_url is not None:
        jwks_http = await stack.enter_async_context(
            httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0))
        )
        jwks = JwksKeys(str(settings.jwt_jwks_url), jwks_http)
        return TokenVerifier(issuer=settings.jwt_issuer, audience=settings.jwt_audience, jwks=jwks)
    return TokenVerifier(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        shared_key=settings.jwt_shared_key,
    )


class RequestIdMiddleware:
    """Takes the caller's ``X-Request-Id`` when it is a plain token, else makes one; echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        with request_id_scope(incoming if _SAFE_REQUEST_ID.match(incoming) else None) as rid:

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
                await send(message)

            await self.app(scope, receive, send_with_id)
