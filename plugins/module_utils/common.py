# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

ACTIVEACTIVE_AWS_COLLECTION_NAME = "activeactive.aws"
ACTIVEACTIVE_AWS_COLLECTION_VERSION = "0.1.0"
