# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # Options of the accelerator* modules, which all wait for the accelerator to be DEPLOYED after a change.
    # activeactive.aws.globalaccelerator.wait; the modules declare them with
    # wait=dict(type="bool", default=True), wait_timeout=dict(type="int", default=1800).
    WAIT = r"""
options:
  wait:
    description: Wait for the accelerator to be C(DEPLOYED) after a change.
    type: bool
    default: true
  wait_timeout:
    description: How many seconds to wait for the accelerator to be C(DEPLOYED).
    type: int
    default: 1800
"""
