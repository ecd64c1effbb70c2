"""Views: render state into the DOM of web/index.html and turn DOM events into actions."""
