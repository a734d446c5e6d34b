"""Personal tokens follow their account's credentials: a new password (changed, reset, or set by an
administrator) or "sign out everywhere" revokes every token of the account, as it ends its sessions."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from musanada.api.models import ApiToken, RevokedBecause
from musanada.api.services import tokens_revoke

_CHANGED = "_musanada_credentials_changed"


@receiver(pre_save, sender=get_user_model())
def note_credentials_change(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None:
        return
    if update_fields is not None and not {"password", "sign_out_count"} & set(update_fields):
        return
    before = sender.objects.filter(pk=instance.pk).values("password", "sign_out_count").first()
    if before is None:
        return
    if before["sign_out_count"] != instance.sign_out_count:
        setattr(instance, _CHANGED, RevokedBecause.SIGNED_OUT_EVERYWHERE)
    elif before["password"] != instance.password:
        setattr(instance, _CHANGED, RevokedBecause.PASSWORD_CHANGED)


@receiver(post_save, sender=get_user_model())
def revoke_tokens_on_credentials_change(sender, instance, created=False, **kwargs):
    because = instance.__dict__.pop(_CHANGED, None)
    if because:
        tokens_revoke(ApiToken.objects.filter(user=instance), because)
