"""The GraphQL schema, composed from one query / mutation class per domain.

Each domain module (offers, tickets, ...) defines its own ``...Query`` and ``...Mutation``
classes; this module is the only place that puts them together.
"""

from __future__ import annotations

import strawberry

from schema.account_link import AccountLinkMutation, AccountLinkQuery
from schema.customer_tickets import CustomerTicketsMutation, CustomerTicketsQuery, TicketsQuery
from schema.errors import NotAllowedError, NotFoundError, RejectedError, ValidationError
from schema.extensions import ErrorContract
from schema.limits import LimitQueries
from schema.offers import OffersMutation, OffersQuery
from schema.plans import PlannedSchema
from schema.rewards import RewardsQuery
from schema.status import StatusQuery
from schema.subscriptions import Subscription
from schema.vendor_tickets import VendorTicketsMutation, VendorTicketsQuery
from schema.viewer import ViewerQuery

__all__ = ["schema"]


@strawberry.type
class Query(
    ViewerQuery,
    StatusQuery,
    OffersQuery,
    RewardsQuery,
    AccountLinkQuery,
    CustomerTicketsQuery,
    VendorTicketsQuery,
    TicketsQuery,
):
    pass


@strawberry.type
class Mutation(OffersMutation, AccountLinkMutation, CustomerTicketsMutation, VendorTicketsMutation):
    pass


schema = PlannedSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    # Concrete UserError kinds are reached only through the interface until a payload names them.
    types=[ValidationError, NotFoundError, NotAllowedError, RejectedError],
    # LimitQueries refuses an over-limit document before validation and execution.
    extensions=[ErrorContract, LimitQueries],
)
