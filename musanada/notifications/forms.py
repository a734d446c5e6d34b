"""The notification settings form: one checkbox per kind of notification, for e-mail."""

from django import forms

from musanada.notifications.models import NotificationKind


class EmailPreferencesForm(forms.Form):
    def __init__(self, *args, preferences: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            self.fields[kind.value] = forms.BooleanField(
                label=kind.label, required=False, initial=preferences.get(kind.value, True)
            )

    def email_kinds(self) -> list[str]:
        return [kind for kind in NotificationKind.values if self.cleaned_data.get(kind)]
