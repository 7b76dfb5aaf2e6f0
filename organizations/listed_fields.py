"""Form fields drawn in Python with the markup Django's form renderer gives them: for the
filters of list pages, drawn on every request, where an included template per field (and one
per option of a select) costs more than the list's own rows. Each writes exactly what Django's
templates write (tests/organizations/people/test_list_pages_sql.py compares them)."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language


def attrs_html(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``, written directly."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class ListedSelect(forms.Select):
    """A drop-down whose HTML is written here rather than by the form renderer's templates, one
    included template per option: the same markup. Flat choices (every filter's, with every
    competency or tag of the organisation) are written straight from the choices, chosen as
    Django chooses (the first option whose value matches); option groups go through Django's
    own ``optgroups``."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        parts: list[str] = []
        pairs = self.choices if isinstance(self.choices, list) else list(self.choices)
        # Option groups have a list of options for a label (a few kinds of label looked at).
        if any(issubclass(kind, (list, tuple)) for kind in {type(label) for _v, label in pairs}):
            widget = self.get_context(name, value, attrs)["widget"]
            for group_name, options, _index in widget["optgroups"]:
                if group_name:
                    parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
                for option in options:
                    parts.append(
                        f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                        f"{attrs_html(option['attrs'])}>{conditional_escape(option['label'])}"
                        "</option>\n"
                    )
                if group_name:
                    parts.append("\n  </optgroup>")
            attributes = attrs_html(widget["attrs"])
        else:
            values = ["" if v is None else str(v) for v, _label in pairs]
            # The first option whose value is chosen is marked, as Django marks it.
            chosen = [values.index(v) for v in self.format_value(value) if v in values]
            first = min(chosen, default=-1)
            labels = [label for _value, label in pairs]
            escaped_values, texts = _escape_each(values), _escape_each(labels)
            parts = [
                f'\n  <option value="{v}"{" selected" if i == first else ""}>{text}</option>\n'
                for i, (v, text) in enumerate(zip(escaped_values, texts, strict=True))
            ]
            attributes = attrs_html(self.build_attrs(self.attrs, attrs))
        # Each option's own template ends in a line break; the whole is stripped, as the form
        # renderer does.
        return mark_safe(  # noqa: S308 (each value escaped above)
            f'<select name="{conditional_escape(name)}"{attributes}>{"".join(parts)}\n</select>'
        )


def _escape_each(texts: list[Any]) -> list[str]:
    """``conditional_escape`` of each text (a list of a thousand teams' names): the plain texts
    escaped together, one ``html.escape`` over them joined, rather than a call each; any other
    (a lazy translation, text already safe) on its own."""
    joined = "\x00".join([text if type(text) is str else "" for text in texts])
    parts = html.escape(joined).split("\x00")
    if len(parts) != len(texts):  # a text holding the separator itself
        return [str(conditional_escape(text)) for text in texts]
    return [
        part if type(text) is str else str(conditional_escape(text))
        for part, text in zip(parts, texts, strict=True)
    ]


class _ListedInput(forms.Widget):
    """``django/forms/widgets/input.html``, written directly (see ``ListedSelect``)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        shown = widget["value"]
        value_html = "" if shown is None else f' value="{conditional_escape(str(shown))}"'
        return mark_safe(  # noqa: S308 (each value escaped)
            f'<input type="{conditional_escape(widget["type"])}"'
            f' name="{conditional_escape(widget["name"])}"{value_html}'
            f"{attrs_html(widget['attrs'])}>"
        )


class ListedTextInput(_ListedInput, forms.TextInput):
    pass


class ListedDateInput(_ListedInput, forms.DateInput):
    pass


class ListedEmailInput(_ListedInput, forms.EmailInput):
    pass


class ListedCheckboxInput(_ListedInput, forms.CheckboxInput):
    """A check box (``checked`` and the value as Django's ``CheckboxInput`` gives them)."""


def field_html(field: forms.BoundField) -> SafeString:
    """What ``{% include "includes/field.html" %}`` writes for ``field`` (its label, widget,
    help and errors), put together directly: a list page's filters are drawn on every
    request, and an included template per field costs more than its list's rows."""
    auto_id = conditional_escape(field.auto_id)
    required = ' <span aria-hidden="true">*</span>' if field.field.required else ""
    help_text = (
        f'<p class="field__help" id="{auto_id}_helptext">{conditional_escape(field.help_text)}</p>'
        if field.help_text
        else ""
    )
    errors = "".join(
        f'<p class="field__error" id="{auto_id}_error">{conditional_escape(str(error))}</p>'
        for error in field.errors
    )
    return mark_safe(  # noqa: S308 (each value escaped)
        f'<div class="field{" field--invalid" if field.errors else ""}">\n'
        f'  <label for="{conditional_escape(field.id_for_label)}">'
        f"{conditional_escape(field.label)}{required}</label>\n"
        f"  {field}\n"
        f"  {help_text}\n"
        f"  {errors}\n"
        "</div>\n"
    )


class _ListedHTML(dict[str, SafeString]):
    """The drawn fields of a form, each drawn when the page first asks for it: a page draws
    the fields it shows, not every field of its form."""

    def __init__(self, form: forms.Form) -> None:
        super().__init__()
        self._form = form

    def __missing__(self, name: str) -> SafeString:
        if name not in self._form.fields:
            raise KeyError(name)
        drawn = self[name] = field_html(self._form[name])
        return drawn


class ListedFields:
    """A filter form whose fields the page draws with ``field_html``: ``form.listed.<name>``."""

    @cached_property
    def listed(self) -> dict[str, SafeString]:
        return _ListedHTML(self)  # type: ignore[arg-type]


# Filter blocks kept drawn per process (a list page's, for a language and its fields' values);
# past this many the store starts again (a search is free text).
FILTERS_KEPT = 256
_filters: dict[tuple[Any, ...], str] = {}


def kept_filters(key: tuple[Any, ...], draw: Callable[[], str]) -> str:
    """A list page's filters as ``draw()`` writes them, drawn once per language and ``key``
    and kept. ``key`` must hold all the drawing depends on besides the language: the page,
    the request's values for the fields (``data_key``), whether the form is bound, and the
    form's choices (a form of five drop-downs costs more than the page's rows)."""
    full_key = (get_language(), *key)
    drawn = _filters.get(full_key)
    if drawn is None:
        drawn = draw()
        if len(_filters) >= FILTERS_KEPT:
            _filters.clear()
        _filters[full_key] = drawn
    return drawn


def data_key(data: Any, names: Sequence[str]) -> tuple[Any, ...] | None:
    """What a bound form's fields ``names`` show of ``data`` (a ``QueryDict``: the last value
    of each, as its widgets read it); ``None`` for an unbound form."""
    if data is None:
        return None
    return tuple(data.get(name) for name in names)
