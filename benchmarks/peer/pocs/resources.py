"""The Resource the admin import would use: bulkpoc's column headings, references resolved by
name with ForeignKeyWidget, the ``Point of Contact ID`` column as the import id (blank: new)."""

from import_export import fields, resources, widgets

from .models import ChatProfile, Poc, Script, Skill


class YesNoWidget(widgets.BooleanWidget):
    """Y/N cells, as bulkpoc's files hold them (the stock widget reads only 1/0/true/false)."""

    TRUE_VALUES = ["Y", "y", "Yes", "yes", "1", "True", "true"]  # noqa: RUF012
    FALSE_VALUES = ["N", "n", "No", "no", "0", "False", "false"]  # noqa: RUF012


def _column(attribute: str, heading: str, widget: widgets.Widget | None = None) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=heading, widget=widget)


class PocResource(resources.ModelResource):
    id = _column("id", "Point of Contact ID", widgets.IntegerWidget())
    name = _column("name", "Name")
    media_type = _column("media_type", "Media Type")
    address = _column("address", "Point of Contact")
    skill = _column("skill", "Skill", widgets.ForeignKeyWidget(Skill, field="name"))
    script = _column("script", "Script", widgets.ForeignKeyWidget(Script, field="name"))
    ivr_enabled = _column("ivr_enabled", "IVR Reporting Enabled", YesNoWidget())
    chat_profile = _column(
        "chat_profile", "Chat Profile", widgets.ForeignKeyWidget(ChatProfile, field="name")
    )
    active = _column("active", "Active", YesNoWidget())

    class Meta:
        model = Poc
        import_id_fields = ("id",)
        fields = (
            "id",
            "name",
            "media_type",
            "address",
            "skill",
            "script",
            "ivr_enabled",
            "chat_profile",
            "active",
        )


class BulkPocResource(PocResource):
    """The same Resource in django-import-export's bulk mode (``bulk_create`` in batches)."""

    class Meta(PocResource.Meta):
        use_bulk = True
