from django.db import migrations

# Frozen copy of the 23 registry sites at the time of this migration (protocol.md §2);
# later changes to sites/registry.py must come with their own migration.
SITES = [
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


def load_sites(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    for code, name, city in SITES:
        Site.objects.update_or_create(
            code=code,
            defaults={"name": name, "city": city, "status": "active", "timezone": "Europe/Paris"},
        )


class Migration(migrations.Migration):
    dependencies = [("sites", "0001_initial")]
    operations = [migrations.RunPython(load_sites, migrations.RunPython.noop)]
