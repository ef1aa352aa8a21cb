"""Flask-AppBuilder strings that its Japanese catalog leaves in English (or words badly).

Listed here so `pybabel extract` keeps them in translations/ja; the translations live in
translations/ja/LC_MESSAGES/messages.po, which is loaded after FAB's catalog and wins.
"""
from flask_babel import lazy_gettext as _

FAB_OVERRIDES = [
    _("Add"), _("Edit"), _("Delete"), _("Show"), _("Detail"), _("Cancel"), _("OK"),
    _("Already exists."), _("Database Error"), _("Are you sure you want to delete this item?"),
    _("Contains (insensitive)"), _("In"), _("Not In"), _("Select Value"), _("Statistics"),
    _("This field is required."), _("Not a valid choice."), _("Not a valid choice"),
    _("Invalid email address."), _("Added Row"), _("Changed Row"), _("Deleted Row"),
    _("Access is Denied"), _("Search"), _("Record Count"), _("No records found"),
    _("Actions"), _("Back"), _("Save"), _("Refresh"), _("Filter"), _("Remove"),
    _("Previous"), _("Next"), _("Page size"), _("Sort"), _("Select Actions"),
    _("Starts with"), _("Ends with"), _("Contains"), _("Equal to"), _("Not Starts With"),
    _("Not Ends With"), _("Not Contains"), _("Not Equal to"), _("Greater than"),
    _("Smaller than"), _("Relation"), _("No Relation"), _("Relation as Many"),
    _("Is Null"), _("Is not Null"), _("Has"), _("Has not"),
]
