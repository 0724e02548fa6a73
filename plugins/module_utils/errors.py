# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error type of the collection's logic: what is wrong, where, and what to do."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ConnectorError(Exception):
    """A refusal or failure the user can act on.

    ``str(err)`` reads as one message: what is wrong (naming kind/namespace/name/key), then the fix.
    """

    def __init__(self, msg, fix=None):
        # type: (str, str | None) -> None
        super(ConnectorError, self).__init__(msg)
        self.msg = msg
        self.fix = fix

    def __str__(self):
        # type: () -> str
        if self.fix:
            return "{0}. Fix: {1}.".format(self.msg.rstrip("."), self.fix.rstrip("."))
        return self.msg
