"""Protocol actions of randomization, kits and emergency unblinding (randomization.md).

Every function is one action: one transaction, its audit event, side effects after
commit. One module per area, mirroring the views; import from the module itself:

- ``allocation``: randomize a participant, flag a randomization in error (views.randomize)
- ``lists``: load the allocation list and the kit list (list_views)
- ``supply``: stock level, resupply, depot dispatch, shipment receipt and quarantine
- ``dispensing``: dispense, kit incidents and replacement, returns, destruction, expiry
- ``scanning``: the kit behind a scanned code; who may act on a site's kits
- ``unblinding``: emergency unblinding, the sponsor's authorisation to unblind
- ``outbox``: notifications, e-mailed after commit
"""
