"""rewards-gateway: one GraphQL API over the Cardlytics Rewards Platform and ClickBank tickets."""
