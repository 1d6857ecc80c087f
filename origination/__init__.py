"""The originator side (originators, data assets, rights, revenue) and the infrastructure every app uses."""
