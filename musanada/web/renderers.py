"""The form renderer: Django's own, with the select boxes, inputs and text areas written in Python.

The stock select renders two templates per option (the option, then its attributes): the inbox's filters and
a ticket's action forms hold a hundred or more options (categories and their topics, units, agents): written
here, the inbox's filter form takes 17 ms instead of 40 (profiled). An input or a text area is two templates
(the widget, then its attributes), and a desk's ticket page holds some forty of them. The markup is
Django's, character for character (tests/test_web.py compares them).
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

SELECT = "django/forms/widgets/select.html"
TEXTAREA = "django/forms/widgets/textarea.html"
FIELD = "django/forms/field.html"
LABEL = "django/forms/label.html"
ERRORS = "django/forms/errors/list/default.html"
# The widgets whose template is Django's input.html included as is.
INPUTS = frozenset(
    f"django/forms/widgets/{kind}.html"
    for kind in ("input", "text", "hidden", "number", "email", "password", "file", "url", "tel", "search")
)


def _attrs(attrs: dict) -> str:
    # As Django's attrs.html, in the same order: True is a bare attribute, False is left out, any other value
    # is written with str() and escaped.
    written = []
    for name, value in attrs.items():
        if value is True:
            written.append(f" {name}")
        elif value is not False:
            written.append(f' {name}="{conditional_escape(str(value))}"')
    return "".join(written)


def select_html(widget: dict) -> str:
    """A select box from the context of Django's `Select` widget (name, attrs, optgroups)."""
    parts = [format_html('<select name="{}"{}>', widget["name"], mark_safe(_attrs(widget["attrs"])))]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        for option in options:
            parts.append(
                format_html(
                    '\n  <option value="{}"{}>{}</option>\n',
                    str(option["value"]),
                    mark_safe(_attrs(option["attrs"])),
                    option["label"],
                )
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))


def input_html(widget: dict) -> str:
    """An input from the context of Django's `Input` widgets (type, name, value, attrs)."""
    value = widget["value"]
    shown = format_html(' value="{}"', str(value)) if value is not None else ""
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        widget["type"],
        widget["name"],
        shown,
        mark_safe(_attrs(widget["attrs"])),
    )


def textarea_html(widget: dict) -> str:
    """A text area from the context of Django's `Textarea` widget."""
    return format_html(
        '<textarea name="{}"{}>\n{}</textarea>',
        widget["name"],
        mark_safe(_attrs(widget["attrs"])),
        widget["value"] or "",
    )


def label_html(context: dict) -> str:
    """A field's label (or legend) from the context of Django's label.html."""
    if not context["use_tag"]:
        return conditional_escape(context["label"])
    tag = context["tag"]
    return format_html("<{}{}>{}</{}>", tag, mark_safe(_attrs(context["attrs"] or {})), context["label"], tag)


def errors_html(context: dict) -> str:
    """A field's or form's error list from the context of Django's errors/list/ul.html."""
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    identifier = format_html(' id="{}_error"', field_id) if field_id else ""
    items = "".join(format_html("<li>{}</li>", error) for error in errors)
    return format_html('<ul class="{}"{}>{}</ul>', context["error_class"], identifier, mark_safe(items))


def field_html(field) -> str:
    """A field with its label, help and errors: Django's field.html (`as_field_group`), as its renderer
    returns it (stripped)."""
    parts = []
    if field.use_fieldset:
        described = field.aria_describedby
        parts.append(
            format_html(
                "\n  <fieldset{}>\n  ", format_html(' aria-describedby="{}"', described) if described else ""
            )
        )
        parts.append(conditional_escape(field.legend_tag()) if field.label else "")
        parts.append("\n")
    else:
        parts.append("\n  ")
        parts.append(conditional_escape(field.label_tag()) if field.label else "")
        parts.append("\n")
    parts.append("\n")
    if field.help_text:
        identifier = format_html(' id="{}_helptext"', field.auto_id) if field.auto_id else ""
        parts.append(format_html('<div class="helptext"{}>{}</div>', identifier, mark_safe(field.help_text)))
    parts.append("\n")
    parts.append(conditional_escape(field.errors))
    parts.append("\n")
    parts.append(conditional_escape(field))
    if field.use_fieldset:
        parts.append("</fieldset>")
    return mark_safe("".join(str(part) for part in parts).strip())


class FormRenderer(DjangoTemplates):
    """Django's template renderer, but select boxes, inputs and text areas are written in Python."""

    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            return select_html(context["widget"])
        if template_name in INPUTS:
            return input_html(context["widget"])
        if template_name == TEXTAREA:
            return textarea_html(context["widget"])
        if template_name == LABEL:
            return label_html(context)
        if template_name == ERRORS:
            return errors_html(context)
        if template_name == FIELD:
            return field_html(context["field"])
        return super().render(template_name, context, request)
