"""The 23 registry sites of NCT06774235, in registry order (protocol.md §2: codes 01–23).

Names follow the registry record, with its spelling slips corrected.
"""

REGISTRY_SITES: list[tuple[str, str, str]] = [
    ("01", "Angers University Hospital", "Angers"),
    ("02", "Argenteuil Hospital", "Argenteuil"),
    ("03", "Franche-Comté North Hospital", "Belfort"),
    ("04", "Brive Hospital", "Brive-la-Gaillarde"),
    ("05", "Chalon-sur-Saône Hospital", "Chalon-sur-Saône"),
    ("06", "Dijon University Hospital", "Dijon"),
    ("07", "AP-HP Raymond Poincaré", "Garches"),
    ("08", "Versailles Hospital", "Le Chesnay"),
    ("09", "Le Mans Hospital", "Le Mans"),
    ("10", "CH de Lens", "Lens"),
    ("11", "Limoges University Hospital", "Limoges"),
    ("12", "Hospices Civils de Lyon", "Lyon"),
    ("13", "AP-HM", "Marseille"),
    ("14", "Melun Hospital", "Melun"),
    ("15", "Nancy University Hospital", "Nancy"),
    ("16", "Nantes University Hospital", "Nantes"),
    ("17", "Orléans Hospital", "Orléans"),
    ("18", "AP-HP Lariboisière", "Paris"),
    ("19", "AP-HP HEGP", "Paris"),
    ("20", "AP-HP Cochin", "Paris"),
    ("21", "Rennes University Hospital", "Rennes"),
    ("22", "Strasbourg University Hospital", "Strasbourg"),
    ("23", "Tours University Hospital", "Tours"),
]
