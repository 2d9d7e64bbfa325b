"""Small helpers shared by the portal views."""


def add_errors(form, error):
    """Show an action's ValidationError on the form; unknown fields become general errors."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
