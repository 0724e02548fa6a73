# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Attributes every module of the collection shares (check and diff mode differ per module)."""

    DOCUMENTATION = r"""
attributes:
  platform:
    platforms: all
    details: Runs wherever the Kubernetes Python client reaches the API server, usually the controller.
  action_group:
    support: full
    membership:
      - rhdh.ai_connector.ai_connector
"""
