"""Account link: the customer's linked cards, and linking / unlinking one (customers only)."""

from __future__ import annotations

import strawberry

from gateway.context import Context
from gateway.upstreams.cardlytics.models import AccountLinkStatus
from gateway.upstreams.errors import UpstreamError
from resolvers.account_link import delete_link, is_redirect_uri, load_link_status, start_link
from resolvers.viewer import require_customer
from schema.errors import NotFoundError, UserError, ValidationError, user_error_for

__all__ = ["AccountLink", "AccountLinkMutation", "AccountLinkQuery"]

Info = strawberry.Info[Context, None]


@strawberry.type(description="One linking attempt or link; its status is Cardlytics' own word.")
class AccountLinkEntry:
    id: strawberry.ID | None
    status: str | None = strawberry.field(description="e.g. LinkingInitiated, Linked.")
    provider: str | None


@strawberry.type(description="A card linked through an account link.")
class LinkedCard:
    id: strawberry.ID | None
    status: str | None
    card_type: str | None
    last4: str | None


@strawberry.type(description="Whether the customer has a card linked for rewards.")
class AccountLink:
    is_linked: bool
    links: list[AccountLinkEntry]
    cards: list[LinkedCard]

    @classmethod
    def from_upstream(cls, status: AccountLinkStatus) -> AccountLink:
        return cls(
            is_linked=status.linked,
            links=[
                AccountLinkEntry(
                    id=strawberry.ID(link.account_link_id) if link.account_link_id else None,
                    status=link.status,
                    provider=_text(link.raw.get("linkProvider")),
                )
                for link in status.account_links
            ],
            cards=[
                LinkedCard(
                    id=strawberry.ID(card.account_id) if card.account_id else None,
                    status=card.status,
                    card_type=card.card_type,
                    last4=card.last4,
                )
                for card in status.accounts
            ],
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


@strawberry.type(description="Open this URL for the customer to link a card.")
class AccountLinkStart:
    account_link_id: strawberry.ID
    link_url: str


@strawberry.input
class StartAccountLinkInput:
    redirect_uri: str = strawberry.field(
        description="Absolute http(s) URL the hosted page returns the customer to."
    )


@strawberry.type
class StartAccountLinkPayload:
    link: AccountLinkStart | None
    errors: list[UserError]


@strawberry.input
class DeleteAccountLinkInput:
    account_link_id: strawberry.ID


@strawberry.type
class DeleteAccountLinkPayload:
    account_link: AccountLink | None = strawberry.field(description="What is linked now.")
    errors: list[UserError]


async def _account_link(info: Info) -> AccountLink:
    return AccountLink.from_upstream(await load_link_status(info.context))


async def _start(info: Info, input: StartAccountLinkInput) -> StartAccountLinkPayload:
    require_customer(info.context)
    if not is_redirect_uri(input.redirect_uri):
        error = ValidationError(
            message="redirectUri must be an absolute http(s) URL",
            field=["input", "redirectUri"],
        )
        return StartAccountLinkPayload(link=None, errors=[error])
    try:
        started = await start_link(info.context, input.redirect_uri)
    except UpstreamError as failure:
        if (user_error := user_error_for(failure)) is None:
            raise
        return StartAccountLinkPayload(link=None, errors=[user_error])
    link = AccountLinkStart(
        account_link_id=strawberry.ID(started.account_link_id), link_url=started.link_url
    )
    return StartAccountLinkPayload(link=link, errors=[])


async def _delete(info: Info, input: DeleteAccountLinkInput) -> DeleteAccountLinkPayload:
    require_customer(info.context)
    link_id = str(input.account_link_id).strip()
    if not link_id:
        error = ValidationError(
            message="accountLinkId is required", field=["input", "accountLinkId"]
        )
        return DeleteAccountLinkPayload(account_link=None, errors=[error])
    not_found = NotFoundError(message=f"input.accountLinkId: no account link {link_id}")
    try:
        status = await delete_link(info.context, link_id)
    except UpstreamError as failure:
        # A link deleted meanwhile answers 404: the same NotFoundError, nothing changed.
        if (user_error := user_error_for(failure)) is None:
            raise
        if isinstance(user_error, NotFoundError):
            user_error = not_found
        return DeleteAccountLinkPayload(account_link=None, errors=[user_error])
    if status is None:
        return DeleteAccountLinkPayload(account_link=None, errors=[not_found])
    return DeleteAccountLinkPayload(account_link=AccountLink.from_upstream(status), errors=[])


@strawberry.type
class AccountLinkQuery:
    account_link: AccountLink | None = strawberry.field(
        resolver=_account_link, description="The signed-in customer's linked cards."
    )


@strawberry.type
class AccountLinkMutation:
    start_account_link: StartAccountLinkPayload | None = strawberry.field(
        resolver=_start, description="Start linking a card: returns the hosted page's URL."
    )
    delete_account_link: DeleteAccountLinkPayload | None = strawberry.field(
        resolver=_delete, description="Unlink; returns what is linked afterwards."
    )
