"""The README's walk-through, in headless Chromium: GraphiQL (as served, with its sandbox token in
the headers editor) runs a subscription, and a ticket update appears in its result pane."""

from __future__ import annotations

import asyncio
import json

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from gateway.graphiql import SANDBOX_CUSTOMER
from gateway.pubsub import tickets_channel
from gateway.redis_pubsub import RedisPubSub
from tests.browser.test_graphiql import LOAD_TIMEOUT_S, _response
from tests.browser.test_graphiql import browser as browser  # the fixture
from tests.graphql.test_customer_tickets import _open, _until_closed
from tests.subscriptions.test_live_updates import hashed
from tests.support.gateway import Gateway

SUBSCRIPTION = """
subscription MyTickets { customerTicketUpdated { sourceTicketId processingStatus } }
"""
# Typed into the operation editor as a developer would (a ?query= link is a GraphQL GET instead).
SET_OPERATION = """
document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(arguments[0]);
"""


async def test_graphiql_shows_a_ticket_update_as_it_happens(
    live_gateway: Gateway, hub: RedisPubSub, browser: webdriver.Chrome
) -> None:
    # given: a ticket the GraphiQL page's customer opened, processed by now
    opened = (await _open(live_gateway, SANDBOX_CUSTOMER))["ticket"]
    await _until_closed(live_gateway, opened["sourceTicketId"])
    channel = tickets_channel(hashed(live_gateway, SANDBOX_CUSTOMER))

    # when: the subscription is run from GraphiQL, then the ticket is updated
    browser.get(live_gateway.graphql_url)
    wait = WebDriverWait(browser, LOAD_TIMEOUT_S)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror"))
    browser.execute_script(SET_OPERATION, SUBSCRIPTION)
    # GraphiQL picks the operation (and so HTTP or the WebSocket) from the editor, once parsed
    await asyncio.sleep(0.5)
    browser.find_element(By.CSS_SELECTOR, "button.graphiql-execute-button").click()
    # GraphiQL sends the headers editor's Authorization in connection_init
    await hub.wait_subscribed(channel, timeout_s=LOAD_TIMEOUT_S)
    await hub.publish(channel, {"sourceTicketId": opened["sourceTicketId"]})

    # then: the update is in the result pane
    text = wait.until(_response)
    assert text is not None
    assert json.loads(text) == {
        "data": {
            "customerTicketUpdated": {
                "sourceTicketId": opened["sourceTicketId"],
                "processingStatus": "PROCESSED",
            }
        }
    }
