"""Who may do what on a Catchment (issue 13): key levels, the keys themselves, the gate that
admits a request, and the secrets Ducks receive."""
