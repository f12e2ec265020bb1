"""The peer's tables, as close to bulkpoc's as Django models sensibly get: POC names unique
ignoring case, an address unique per media type (blank for Chat and Work Item), references by
foreign key, Last Modified set on every save."""

from django.db import models
from django.db.models.functions import Lower


class Skill(models.Model):
    name = models.CharField(max_length=100, unique=True)
    media_type = models.CharField(max_length=20)
    active = models.BooleanField(default=True)


class Script(models.Model):
    name = models.CharField(max_length=100, unique=True)
    media_type = models.CharField(max_length=20)


class ChatProfile(models.Model):
    name = models.CharField(max_length=100, unique=True)


class Poc(models.Model):
    name = models.CharField(max_length=100)
    media_type = models.CharField(max_length=20)
    address = models.CharField(max_length=320, blank=True)
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT)
    script = models.ForeignKey(Script, on_delete=models.PROTECT)
    ivr_enabled = models.BooleanField(default=False)
    chat_profile = models.ForeignKey(ChatProfile, null=True, on_delete=models.PROTECT)
    active = models.BooleanField(default=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(Lower("name"), name="poc_name_unique"),
            models.UniqueConstraint(
                "media_type",
                "address",
                condition=~models.Q(address=""),
                name="poc_address_unique",
            ),
        )
